"""Signed letters coming back, by mail or through watched folders: inspection, matching, decision, notices."""
