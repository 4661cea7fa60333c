"""Text utilities shared by scorers (sentence splitting with NLTK's bundled Punkt data)."""
