"""The staff UI's views, one module per area."""
