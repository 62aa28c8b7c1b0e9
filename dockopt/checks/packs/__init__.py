"""Rule packs: each a tuple of ``Rule`` over ``ImageFacts`` (see ``dockopt.checks``).

- ``dive``: dive's ``--ci`` rules, with dive's defaults, comparisons and messages;
- ``gate``: dockopt's CI gate next to them (image size, secrets, non-root), same ``.dive-ci`` file;
- ``audit``: the image audit in the spirit of Docker Bench for Security, section 4;
- ``exercise``: the exercise criteria, one rule per criterion kind.

Static lint (``dockopt.insight.rules``) reads the same fact functions (``dockopt.checks.facts``).
"""
