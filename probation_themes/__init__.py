"""probation_themes: qualitative coding and thematic analysis of open-ended survey answers."""

__version__ = "0.1.0"
