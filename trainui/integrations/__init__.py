"""Adapters from training frameworks to ``trainui.Run``; each imports its framework lazily."""
