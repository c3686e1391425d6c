from . import arrays, strings, stacks, search, dp, graphs, misc, trees  # noqa: F401

ALL_MODULES = [arrays, strings, stacks, search, dp, graphs, misc, trees]
