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
};
