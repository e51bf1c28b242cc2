"""The pure core: SOP steps, business calendar, durations. No I/O and no clock of its own."""
