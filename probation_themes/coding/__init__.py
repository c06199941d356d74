"""Coders that suggest codings: rules, a learned model (and, later, topics)."""

from probation_themes.coding import registry
from probation_themes.coding.base import BaseCoder
from probation_themes.coding.model import ModelCoder
from probation_themes.coding.rules import RulesCoder

__all__ = ["BaseCoder", "ModelCoder", "RulesCoder", "registry"]
