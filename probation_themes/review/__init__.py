"""Reviewing machine suggestions: a session object with no input or output of its own."""

from probation_themes.review.pick import CodeChoice, pick_codes
from probation_themes.review.session import Item, Progress, ReviewSession, Row, Suggestion

__all__ = ["CodeChoice", "Item", "Progress", "ReviewSession", "Row", "Suggestion", "pick_codes"]
