"""`mailflow demo`: the whole procedure played on embedded servers by simulated officials."""
