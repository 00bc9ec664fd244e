"""The wire layer: PAI's API as typed calls, request signing, PAI's field rules, and the emulator.

No Django imports: it can be used and tested on its own."""
