"""A second browser whose rear camera films a QR code (Chromium's fake camera), for scanner tests."""
import subprocess
from contextlib import contextmanager

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE


def video_of(png, target):
    """A short looping .y4m (I420) of the QR on a white 640x480 frame, for the fake camera."""
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-loop", "1", "-i", str(png),
                    "-vf", "scale=400:400:flags=neighbor,pad=640:480:120:40:white,format=yuv420p",
                    "-t", "2", "-r", "10", str(target)], check=True, timeout=60)


@contextmanager
def camera_phone(browser, video):
    """A phone-sized page whose camera plays `video`; yields (page, the console errors seen)."""
    camera = browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True,
        args=CHROMIUM_ARGS + ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                              f"--use-file-for-fake-video-capture={video}"])
    try:
        context = camera.new_context(**PHONE, permissions=["camera"])
        context.set_default_timeout(20_000)
        page = context.new_page()
        problems = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        yield page, problems
    finally:
        camera.close()
