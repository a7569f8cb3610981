"""Schemathesis hooks for .ci/schemathesis (loaded through SCHEMATHESIS_HOOKS).

CPython 3.11.7 (the machine's Python) raises `SystemError: AST constructor recursion depth
mismatch` from `ast.parse` when called deep in a stack (CPython gh-106905, fixed in later
releases). Hypothesis calls `ast.parse` only to *describe* a lambda passed to `.filter()` for
its repr, and schemathesis' coverage phase does that deep in its generators, so the bug aborts
the generation of an operation's cases. The description is cosmetic: fall back to the
function's name.
"""

from hypothesis.internal import lambda_sources

_describe = lambda_sources.lambda_description


def _lambda_description(f):
    try:
        return _describe(f)
    except SystemError:
        return getattr(f, "__name__", "<lambda>")


lambda_sources.lambda_description = _lambda_description
