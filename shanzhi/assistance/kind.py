"""Assistance applications as a kind of case (filled in below as the app grows)."""
