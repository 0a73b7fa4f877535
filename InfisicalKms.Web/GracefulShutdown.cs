using InfisicalKms.Core;
using InfisicalKms.Core.Audit;

namespace InfisicalKms.Web;

/// <summary>
/// <c>Kms:ShutdownTimeoutSeconds</c>: how long a stopping server (SIGTERM) may take to finish the requests in
/// flight and write the audit records still queued, a whole number of seconds from 1 to 3600 (30 by default).
/// </summary>
public sealed class ShutdownOptions
{
    public const string Section = "Kms";

    public const string Key = "Kms:ShutdownTimeoutSeconds";

    public const int DefaultSeconds = 30;

    public const int MaxSeconds = 3600;

    /// <summary>As configured: text, so that a value which is not a number gets this setting's message, not the binder's.</summary>
    public string? ShutdownTimeoutSeconds { get; set; }

    public TimeSpan Timeout => TryParse(ShutdownTimeoutSeconds, out TimeSpan timeout) ? timeout : TimeSpan.FromSeconds(DefaultSeconds);

    /// <summary>Unset means the default; otherwise a whole number of seconds from 1 to <see cref="MaxSeconds"/>.</summary>
    public static bool TryParse(string? value, out TimeSpan timeout)
    {
        bool valid = SettingNumbers.TryParse(value?.Trim(), 1, MaxSeconds, out int? seconds);
        timeout = TimeSpan.FromSeconds(valid ? seconds ?? DefaultSeconds : DefaultSeconds);
        return valid;
    }
}

public static class GracefulShutdown
{
    /// <summary>The host's shutdown timeout from <see cref="ShutdownOptions"/>, and the audit writer drained within it.</summary>
    public static IHostApplicationBuilder AddKmsShutdown(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ShutdownOptions>().BindConfiguration(ShutdownOptions.Section)
            .Validate(o => ShutdownOptions.TryParse(o.ShutdownTimeoutSeconds, out _),
                $"{ShutdownOptions.Key} must be a whole number of seconds from 1 to {ShutdownOptions.MaxSeconds}.")
            .ValidateOnStart();

        // Read from configuration, not through the validated options: the host reads HostOptions while it is
        // built, before start-up validation can report a bad value with its own message.
        builder.Services.AddOptions<HostOptions>().Configure<IConfiguration>((host, configuration) =>
        {
            if (ShutdownOptions.TryParse(configuration[ShutdownOptions.Key], out TimeSpan timeout))
            {
                host.ShutdownTimeout = timeout;
            }
        });
        builder.Services.AddHostedService<AuditWriterShutdown>();
        return builder;
    }
}
