"""Message catalogues per area: each module holds MESSAGES = {key: (Indonesian, English)}.

Split by area so each part of the code owns its texts; `mailflow.i18n` merges them.
"""
