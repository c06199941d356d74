"""Coders that suggest codings: rules (and, later, topics and a learned model)."""

from probation_themes.coding import registry
from probation_themes.coding.base import BaseCoder
from probation_themes.coding.rules import RulesCoder

__all__ = ["BaseCoder", "RulesCoder", "registry"]
