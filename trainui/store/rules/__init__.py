"""Automations: rules that watch a project's runs and act on them (see definition.py for what a
rule is, conditions.py for when it fires, evaluate.py for where, records.py for its records)."""
from .evaluate import evaluate as evaluate_rules

__all__ = ["evaluate_rules"]
