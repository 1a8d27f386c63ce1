// Full-screen signing: the pad takes the whole screen (landscape where the phone allows), above the
// tab bar and the sticky 保存草稿/提交 bar, which hide meanwhile. The pad is made anew at the new size,
// so it is opened before signing; saving or 完成 leaves it.
export function fullscreenSignature(box, remake, on = !box.classList.contains("sig-fullscreen")) {
  box.classList.toggle("sig-fullscreen", on);
  document.documentElement.classList.toggle("sig-mode", on);
  if (on) {
    box.requestFullscreen?.().then(() => screen.orientation?.lock?.("landscape")).catch(() => {});
  } else if (document.fullscreenElement) {
    screen.orientation?.unlock?.();
    document.exitFullscreen().catch(() => {});
  }
  requestAnimationFrame(remake);
  return on;
}
