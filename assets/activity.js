// Tells the server, at most once a minute, that the person is still using the page,
// so the idle timeout counts real inactivity and not just an open tab.
(() => {
  let last = 0;
  const report = () => {
    const now = Date.now();
    if (now - last < 60000 || typeof window.emitEvent !== 'function') return;
    last = now;
    window.emitEvent('settle-activity');
  };
  for (const type of ['pointerdown', 'keydown', 'scroll', 'touchstart']) {
    document.addEventListener(type, report, { passive: true, capture: true });
  }
})();
