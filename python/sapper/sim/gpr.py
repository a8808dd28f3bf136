"""Synthetic GPR lanes (B-scans and C-scans) with ground truth."""
