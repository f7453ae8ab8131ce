"""The checkers of the notebooks' exercises, one module per lecture.

Each checker takes the student's answer and returns a :class:`sinefit.feedback.Feedback`: a
friendly sentence, never an exception for a wrong, malformed or missing (``...``) answer.
"""
