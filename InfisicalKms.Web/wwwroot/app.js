// Small browser helpers for the Blazor pages (called through IJSRuntime).
window.kms = {
  submitForm: (id) => document.getElementById(id)?.submit(),
  copy: async (text) => {
    try { await navigator.clipboard.writeText(text); return true; } catch { return false; }
  },
  download: (fileName, text) => {
    const url = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
    const a = Object.assign(document.createElement("a"), { href: url, download: fileName });
    a.click();
    URL.revokeObjectURL(url);
  },
  // Binary files (the KMIP bundle, a zip): .NET hands a byte[] over as a Uint8Array.
  downloadBytes: (fileName, bytes, type) => {
    const url = URL.createObjectURL(new Blob([bytes], { type }));
    const a = Object.assign(document.createElement("a"), { href: url, download: fileName });
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 0);
  },
};

// Copy buttons of the static pages (the setup page's one-time token): a button with data-copy="ID" copies
// the text of element ID and says so in the element its data-copy-status names.
document.addEventListener('click', async (event) => {
  const button = event.target instanceof Element ? event.target.closest('button[data-copy]') : null;
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  const copied = source !== null && await window.kms.copy(source.textContent.trim());
  const status = document.getElementById(button.dataset.copyStatus);
  if (status) status.textContent = copied ? 'Copied to the clipboard' : 'Could not copy: select the text and copy it';
});
