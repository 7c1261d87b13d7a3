"""Writes the wall's alert chime, ``assets/sounds/alert.wav``: two falling tones, 0.7 s, drawn with nothing
but the standard library (``wave``, ``math``, ``struct``), so anyone can make it again and get the same
bytes — nothing is downloaded, and no recording of unknown licence ships with Basira::

    python tools/alert_sound.py            # writes assets/sounds/alert.wav
    python tools/alert_sound.py --check    # exits 1 when the file differs from what this draws

A chime, not a siren: it is heard across a room that is already busy, once per alert (the wall plays it
when a severe alert's card comes up, and only when sound is on — ``settings.wall_alert_sound``).
``tests/test_alerts_ui.py`` checks the committed file against this drawing.
"""

from __future__ import annotations

import io
import math
import struct
import sys
import wave
from pathlib import Path

SOUND = Path(__file__).resolve().parent.parent / "assets" / "sounds" / "alert.wav"
RATE = 22_050  # Hz: plenty for tones under 1 kHz, and half the bytes of 44.1 kHz
#: (frequency Hz, start s, length s): a fifth down, the second tone ringing longer.
TONES = ((987.77, 0.0, 0.28), (659.26, 0.22, 0.48))
LENGTH_S = 0.72
PEAK = 0.55  # of full scale: loud enough, never clipped where the tones overlap


def samples() -> list[int]:
    """The chime as 16-bit samples: each tone a sine with its second harmonic, a 6 ms attack and an
    exponential decay (a struck bell, not a beep)."""
    out = []
    for n in range(int(LENGTH_S * RATE)):
        time = n / RATE
        value = 0.0
        for frequency, start, length in TONES:
            local = time - start
            if not 0 <= local < length:
                continue
            envelope = min(1.0, local / 0.006) * math.exp(-4.5 * local / length)
            phase = 2 * math.pi * frequency * local
            value += envelope * (0.8 * math.sin(phase) + 0.2 * math.sin(2 * phase))
        out.append(round(max(-1.0, min(1.0, value * PEAK)) * 32767))
    return out


def drawn() -> bytes:
    """The WAV file's bytes (mono, 16-bit, :data:`RATE`)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(struct.pack(f"<{int(LENGTH_S * RATE)}h", *samples()))
    return buffer.getvalue()


def main(argv: list[str]) -> int:
    data = drawn()
    if "--check" in argv:
        same = SOUND.exists() and SOUND.read_bytes() == data
        if not same:
            print(f"{SOUND} differs from what tools/alert_sound.py draws: run python tools/alert_sound.py")
        return 0 if same else 1
    SOUND.parent.mkdir(parents=True, exist_ok=True)
    SOUND.write_bytes(data)
    print(f"wrote {SOUND} ({len(data):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
