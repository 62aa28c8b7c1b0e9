"""``dockopt.optimise``: from diagnosis to cure. Propose a multi-stage Dockerfile for a project and prove
each change on a real build (``climb.optimise``); each stack's recipe (``recipes``), what is read from the
project first (``facts``) and the ``.dockerignore`` it adds (``ignore``)."""

from __future__ import annotations

from .climb import BASE_COLUMNS, COLUMNS, Proposal, optimise, private_copy  # private_copy: deprecated
from .facts import AppFacts, read_facts
from .recipes import CHANGES, RUNGS, RungName

__all__ = ["BASE_COLUMNS", "CHANGES", "COLUMNS", "RUNGS", "AppFacts", "Proposal", "RungName", "optimise",
           "private_copy", "read_facts"]
