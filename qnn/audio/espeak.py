"""Speech synthesis with eSpeak NG: the library in the ``espeakng-loader`` wheel, or the Debian ``espeak-ng`` binary.

Why the wheel first: it installs with pip (no root, no apt), carries its own voice data (eSpeak NG 1.52), and
runs in-process through ctypes at well under a millisecond per word, against ~10 ms per word for spawning the
binary. The binary (``apt-get install espeak-ng``, 1.51) is the fallback when the wheel is missing; it cannot
set the pitch range, so that parameter is ignored there.

``Espeak().say(word, voice, rate, pitch, pitch_range, amplitude, seed)`` -> float32 mono audio at ``.sample_rate``.

Determinism: eSpeak NG 1.52 draws random numbers (seeded by ``seed`` through ``espeak_ng_SetRandSeed``) and
its wave generator keeps state from one utterance to the next, so the same call gives the same audio only
after the same earlier calls in a fresh process; ``qnn.data.synthetic_kws`` therefore synthesizes each chunk
of clips in a new process. The binary starts fresh for every utterance (and is deterministic by itself).
Voices are "<language>+<variant>", e.g. "en-us+m3", "en-gb-scotland+f2"; see ``ACCENTS`` and ``VARIANTS``.
"""
from __future__ import annotations

import ctypes
import io
import shutil
import subprocess
from functools import lru_cache

import numpy as np

from qnn.errors import QnnError

# English accents shipped in espeak-ng-data/lang/gmw, and voice variants (espeak-ng-data/voices/!v) that sound
# like people: the robotic, "demonic" and similar novelty variants are left out.
ACCENTS = ("en-us", "en", "en-gb-x-rp", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-029",
           "en-us-nyc")
VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5", "klatt", "klatt2", "klatt3",
            "Alex", "Andy", "Annie", "Denis", "Gene", "Jacky", "Lee", "Mario", "Michael", "Mike", "Storm", "Tweaky",
            "adam", "aunty", "belinda", "benjamin", "boris", "caleb", "david", "ed", "edward", "grandma",
            "grandpa", "ian", "john", "linda", "max", "michel", "norbert", "paul", "quincy", "rob", "robert",
            "steph", "travis", "victor", "whisper", "whisperf", "zac")

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_ESPEAK_CHARS_UTF8 = 1
_RATE, _VOLUME, _PITCH, _RANGE = 1, 2, 3, 4
_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class _LibEspeak:
    """libespeak-ng from the espeakng-loader wheel, in synchronous mode; audio arrives through a callback."""

    def __init__(self) -> None:
        import espeakng_loader

        self.lib = lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
        lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                     ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        self.sample_rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0,
                                                 espeakng_loader.get_data_path().encode(), 0)
        if self.sample_rate <= 0:
            raise QnnError("libespeak-ng from espeakng-loader failed to initialise (its voice data is missing?)")
        self._chunks: list[np.ndarray] = []

        def collect(wav, n, _events):
            if n > 0:
                self._chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
            return 0

        self._callback = _CALLBACK(collect)  # keep a reference: ctypes does not
        lib.espeak_SetSynthCallback(self._callback)
        self.version = "libespeak-ng (espeakng-loader)"

    def say(self, text: str, voice: str, rate: int, pitch: int, pitch_range: int, amplitude: int,
            seed: int = 0) -> np.ndarray:
        lib = self.lib
        lib.espeak_ng_SetRandSeed(seed)
        if lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise QnnError(f"espeak-ng has no voice {voice!r}")
        for p, v in ((_RATE, rate), (_PITCH, pitch), (_RANGE, pitch_range), (_VOLUME, amplitude)):
            lib.espeak_SetParameter(p, int(v), 0)
        self._chunks = []
        data = text.encode()
        if lib.espeak_Synth(data, len(data) + 1, 0, _POS_CHARACTER, 0, _ESPEAK_CHARS_UTF8, None, None) != 0:
            raise QnnError(f"espeak-ng failed to synthesize {text!r}")
        lib.espeak_Synchronize()
        pcm = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        return pcm.astype(np.float32) / 32768.0


class _CliEspeak:
    """The ``espeak-ng`` program (Debian package), one process per utterance, WAV on stdout."""

    def __init__(self, exe: str) -> None:
        self.exe = exe
        self.sample_rate = 22050
        self.version = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout.strip()

    def say(self, text: str, voice: str, rate: int, pitch: int, pitch_range: int, amplitude: int,
            seed: int = 0) -> np.ndarray:
        import soundfile as sf

        cmd = [self.exe, "-v", voice, "-s", str(int(rate)), "-p", str(int(pitch)), "-a", str(int(amplitude)),
               "-z", "--stdout", text]
        res = subprocess.run(cmd, capture_output=True)
        if res.returncode != 0 or not res.stdout:
            raise QnnError(f"espeak-ng failed on {text!r} with voice {voice}: {res.stderr.decode().strip()}")
        # espeak-ng streams: the RIFF sizes are placeholders, so read the PCM after the 44-byte header directly
        x, sr = sf.read(io.BytesIO(res.stdout[44:]), format="RAW", subtype="PCM_16", samplerate=22050,
                        channels=1, dtype="float32")
        return x


@lru_cache(maxsize=4)
def Espeak(backend: str = "auto"):  # noqa: N802 (a cached constructor)
    """The synthesizer: ``"lib"`` (wheel), ``"cli"`` (binary) or ``"auto"`` (the wheel if installed, else the binary)."""
    if backend in ("auto", "lib"):
        try:
            return _LibEspeak()
        except ImportError:
            if backend == "lib":
                raise QnnError("the espeakng-loader wheel is not installed: pip install espeakng-loader") from None
    if backend in ("auto", "cli"):
        exe = shutil.which("espeak-ng")
        if exe:
            return _CliEspeak(exe)
        raise QnnError("no speech synthesizer for the synthetic keyword set: pip install espeakng-loader "
                       "(or apt-get install espeak-ng)")
    raise QnnError(f"unknown espeak backend {backend!r}: use auto, lib or cli")
