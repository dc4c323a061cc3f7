"""Prints what a function could observe that the sampler might change; the
work happens in an imported module (as a handler module is imported on
Lambda, not run as __main__)."""
import behaviour_init  # noqa: F401
