"""Business rules shared by the CLI and HTTP; no Flask request objects in here."""
