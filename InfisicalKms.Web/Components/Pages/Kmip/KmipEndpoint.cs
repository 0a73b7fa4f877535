using InfisicalKms.Core.Kmip;
using InfisicalKms.Web.Kmip;

namespace InfisicalKms.Web.Components.Pages.Kmip;

/// <summary>Where KMIP clients connect, as the page and the bundle's pykmip.conf name it.</summary>
public sealed record KmipEndpoint(string Host, int Port)
{
    /// <summary>
    /// The first server name, and the port the listener bound: with <c>Kms:Kmip:Port=0</c> only the listener knows it.
    /// The configured port until the listener has started, and where there is none (component tests).
    /// </summary>
    public static KmipEndpoint Of(KmipSettings settings, IServiceProvider services) =>
        new(settings.ServerNamesOrDefault[0], services.GetService<KmipListener>()?.Port ?? settings.PortNumber);
}
