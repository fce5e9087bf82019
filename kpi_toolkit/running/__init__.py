"""Running the stage notebooks: kernel sessions, the report writer, one client and the batch.

Imports every layer below it (stages through the notebooks, the cycle, outputs, inputs, method).
"""
