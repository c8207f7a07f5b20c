"""`make diff`: what a change does to every stage's infrastructure, for a reviewer, and a guard
that refuses unintended replacement of stateful resources or broader permissions."""
