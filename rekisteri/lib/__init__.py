"""Django-free helpers: environment parsing, normalisers, date arithmetic."""
