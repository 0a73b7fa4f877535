using AngleSharp.Dom;
using Bunit;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using MudBlazor.Services;

namespace InfisicalKms.Tests.TestSupport;

/// <summary>The one MudBlazor set-up every bUnit test shares (platform-notes §5), and helpers for Mud's markup.</summary>
public static class BunitMudExtensions
{
    private const string OpenOption = ".mud-popover-open [role=option]";

    public static BunitContext AddMudTestServices(this BunitContext context)
    {
        context.JSInterop.Mode = JSRuntimeMode.Loose;   // kms.copy answers false; Mud's own interop is ignored
        context.Services.AddMudServices(o =>
        {
            o.SnackbarConfiguration.ShowTransitionDuration = 0;
            o.SnackbarConfiguration.HideTransitionDuration = 0;
            o.PopoverOptions.CheckForPopoverProvider = false;
        });
        return context;
    }

    /// <summary>Shows a dialog through the real dialog service; its content renders inside <paramref name="provider"/>.</summary>
    public static async Task<IDialogReference> ShowDialogAsync<TDialog>(
        this IRenderedComponent<MudDialogProvider> provider, IDialogService dialogs, string title, DialogParameters<TDialog> parameters)
        where TDialog : IComponent
    {
        IDialogReference? reference = null;
        await provider.InvokeAsync(async () => reference = await dialogs.ShowAsync<TDialog>(title, parameters));
        return reference!;
    }

    /// <summary>Opens the MudSelect whose input has this id, as a mouse press on it does.</summary>
    public static void OpenSelect<T>(this IRenderedComponent<T> root, string id)
        where T : IComponent =>
        root.Find($"#{id}").Closest(".mud-input-control")!.MouseDown();

    /// <summary>The text a closed MudSelect shows for its value.</summary>
    public static string SelectedText<T>(this IRenderedComponent<T> root, string id)
        where T : IComponent =>
        root.Find($"#{id}").ParentElement!.QuerySelector("[role=combobox]")!.TextContent.Trim();

    /// <summary>The options of the open select list, in order, once it has opened (Mud opens it asynchronously).</summary>
    public static IReadOnlyList<string> OpenOptions(this IRenderedComponent<MudPopoverProvider> popovers)
    {
        popovers.WaitForAssertion(() => Assert.NotEmpty(popovers.FindAll(OpenOption)));
        return popovers.FindAll(OpenOption).Select(o => o.TextContent.Trim()).ToList();
    }

    /// <summary>Clicks the option of the open select list with exactly this text, and waits for the list to close.</summary>
    public static void ChooseOption(this IRenderedComponent<MudPopoverProvider> popovers, string text)
    {
        popovers.WaitForAssertion(() => Assert.Contains(text, popovers.FindAll(OpenOption).Select(o => o.TextContent.Trim())));
        popovers.FindAll(OpenOption).Single(o => o.TextContent.Trim() == text).Click();
        popovers.WaitForAssertion(() => Assert.Empty(popovers.FindAll(OpenOption)));
    }

    /// <summary>The current value of a Mud text field (input or textarea) by id.</summary>
    public static string? FieldValue<T>(this IRenderedComponent<T> root, string id)
        where T : IComponent =>
        root.Find($"#{id}").GetAttribute("value");

    /// <summary>The error text MudBlazor shows under the field with this id, or null.</summary>
    public static string? FieldError<T>(this IRenderedComponent<T> root, string id)
        where T : IComponent =>
        root.Find($"#{id}").Closest(".mud-input-control")!.QuerySelector(".mud-input-helper-text.mud-input-error")?.TextContent.Trim();

    /// <summary>Turns the MudSwitch (its checkbox carries the id) on or off.</summary>
    public static void SetSwitch<T>(this IRenderedComponent<T> root, string id, bool on)
        where T : IComponent =>
        root.Find($"#{id}").Change(on);

    /// <summary>
    /// The items of every open menu, in order: label, whether it is enabled, and the text of the tooltip
    /// around it (null while that tooltip is turned off).
    /// </summary>
    public static IReadOnlyList<(string Label, bool Enabled, string? Tooltip)> OpenMenuItems(this IRenderedComponent<MudPopoverProvider> popovers) =>
        popovers.FindComponents<MudTooltip>()
            .Select(t => (Tooltip: t.Instance, Items: t.FindAll(".mud-menu-item")))
            .Where(x => x.Items.Count == 1)
            .Select(x => (x.Items[0].TextContent.Trim(), x.Items[0].GetAttribute("aria-disabled") != "true", x.Tooltip.Disabled ? null : x.Tooltip.Text))
            .ToList();

    /// <summary>Waits until the open menus show exactly these items (Mud opens and closes menus asynchronously).</summary>
    public static void AssertOpenMenu(this IRenderedComponent<MudPopoverProvider> popovers, IEnumerable<(string Label, bool Enabled, string? Tooltip)> expected) =>
        popovers.WaitForAssertion(() => Assert.Equal(expected, popovers.OpenMenuItems()));

    /// <summary>The messages of the snackbars on screen, oldest first.</summary>
    public static IReadOnlyList<string> Messages(this IRenderedComponent<MudSnackbarProvider> snackbars) =>
        snackbars.FindAll(".mud-snackbar-content-message").Select(m => m.TextContent.Trim()).ToList();

    /// <summary>Waits until a snackbar shows exactly <paramref name="message"/>.</summary>
    public static void AssertSnackbar(this IRenderedComponent<MudSnackbarProvider> snackbars, string message) =>
        snackbars.WaitForAssertion(() => Assert.Contains(message, snackbars.Messages()));

    public static bool IsChecked(this IElement input) => input.GetAttribute("aria-checked") == "true";
}
