"""Reusable UI: the frame, session helpers, form helpers, money labels and chart builders."""
