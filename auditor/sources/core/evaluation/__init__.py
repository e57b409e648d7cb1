"""The ARM template language: expressions, their functions, and the template evaluator."""
