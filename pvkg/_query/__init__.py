"""Asking the built graph beyond one canned query: studies side by side (`pvkg compare`) and what changed between
two builds (`pvkg diff`)."""
