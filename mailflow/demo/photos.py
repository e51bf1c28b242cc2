"""Photos as the demo's citizens send them: small JPEGs written by a phone camera, with the EXIF a
phone writes (the owner, the phone, the time and the GPS position where it was taken). The demo
checks that such a photo reaches the officials, and that for a confidential complaint the copy
the OPD gets carries none of it (issue 14)."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

GPS_IFD = 0x8825


def phone_photo(owner: str, *, latitude: float, longitude: float, seed: int = 0) -> bytes:
    """A 480x360 picture (a dark street, a lamp post) with the phone's EXIF."""
    image = Image.new("RGB", (480, 360), (24 + seed % 20, 28, 40))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 250, 480, 360), fill=(60, 60, 62))  # the road
    draw.rectangle((226, 60, 234, 250), fill=(120, 120, 120))  # the post
    draw.ellipse((214, 44, 246, 70), fill=(70, 70, 60))  # the dead lamp
    exif = Image.Exif()
    exif[0x013B] = owner  # Artist
    exif[0x010F] = "samsung"  # Make
    exif[0x0110] = "Galaxy A54 5G"  # Model
    exif[0x0132] = "2026:11:29 19:42:10"  # DateTime
    exif[GPS_IFD] = {
        1: "N" if latitude >= 0 else "S",
        2: _dms(abs(latitude)),
        3: "E" if longitude >= 0 else "W",
        4: _dms(abs(longitude)),
    }
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=85)
    return out.getvalue()


def identifying_exif(data: bytes) -> list[str]:
    """What in a JPEG's EXIF could identify who took it (empty when clean)."""
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        found = [f"EXIF {tag:#06x}" for tag in (0x013B, 0x010F, 0x0110, 0x0132, 0xA430) if tag in exif]
        if exif.get_ifd(GPS_IFD):
            found.append("GPS")
        return found


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 2)
    return (float(degrees), float(minutes), seconds)
