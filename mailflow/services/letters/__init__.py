"""Official letters: rendering and numbering (LetterService) and the DOCX -> PDF worker."""
