"""Database helpers below the ORM: a row-id primary key field, statements compiled once by
Django, statements prepared once per PostgreSQL connection, many rows in one round trip.

Kept apart from rekisteri.lib, which imports no Django and no database driver.
"""
