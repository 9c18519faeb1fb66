"""Audio: WAV reading with validation, the MFCC frontend, noise and augmentation, speech synthesis (espeak-ng)."""
