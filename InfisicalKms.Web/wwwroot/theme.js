// Runs in <head>, before the page paints: the dark-mode choice the app stored (MainLayout, KmsTheme) also
// colours the static account pages, which render both palettes and show the one under this class.
if (localStorage.getItem('kms.darkMode') === 'true') {
  document.documentElement.classList.add('kms-dark');
}
