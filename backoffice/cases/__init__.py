"""The case core: cases, their transitions and timeline, queues, deadlines, assignment and who may see which case."""
