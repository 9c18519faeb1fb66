"""Keyword spotting in a stream: slide a run's golden model over a long recording and report detections.

* ``stream``: 1 s windows at a hop (100 ms), the run's MFCC front end per window, golden-model posteriors,
  a causal moving average, and peak picking into detections (time, keyword, score);
* ``generate``: a test recording with keywords of held-out speakers at known times mixed into background noise at
  several SNRs (plus unknown words), and keyword-free audio for choosing the threshold;
* ``score``: detections against the known events: misses per SNR, false alarms per hour, the DET curve over
  thresholds, and the threshold for a target false-alarm rate.
"""
