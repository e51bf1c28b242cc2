"""mailflow: the LAPOR complaint procedure (SOP 01/SOP-LAPOR/IKP/2021, Kota Bontang) run over email."""

__version__ = "0.1.0"
