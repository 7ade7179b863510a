"""``fostermatch bench``: the figures the project holds itself to, measured."""
