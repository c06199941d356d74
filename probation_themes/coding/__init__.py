"""Coders that suggest codings: rules, a learned model, and seeded topic models."""

from probation_themes.coding import registry
from probation_themes.coding.base import BaseCoder
from probation_themes.coding.model import ModelCoder
from probation_themes.coding.rules import RulesCoder
from probation_themes.coding.topics import LdaTopicCoder, NmfTopicCoder

__all__ = ["BaseCoder", "LdaTopicCoder", "ModelCoder", "NmfTopicCoder", "RulesCoder", "registry"]
