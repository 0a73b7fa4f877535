using InfisicalKms.Core;
using InfisicalKms.Web;
using Microsoft.Extensions.Options;

if (OperatorCommands.TryRun(args) is { } command)
{
    return await command;   // backup, restore, root-key, db or help (OperatorCommands); the web host never starts
}

// The content root is the application folder, wherever the process starts (a service manager starts it from
// its data folder), so the static assets are found; a relative Data Source still resolves against the working
// directory. An explicit --contentRoot or ASPNETCORE_CONTENTROOT wins, as the test host's does.
bool contentRootGiven = args.Any(a => a.StartsWith("--contentRoot", StringComparison.OrdinalIgnoreCase))
    || Environment.GetEnvironmentVariable("ASPNETCORE_CONTENTROOT") is { Length: > 0 }
    || Environment.GetEnvironmentVariable("DOTNET_CONTENTROOT") is { Length: > 0 };
WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    ContentRootPath = contentRootGiven ? null : AppContext.BaseDirectory,
});

builder.Configuration.AddServerSources(args);   // appsettings.json, then the environment, then the command line
builder.WebHost.UseStaticWebAssets();   // serves _content/MudBlazor from build output outside Development too

builder.Services.AddKmsCore(builder.Configuration, builder.Environment);
builder.AddKmsWeb();

WebApplication app = builder.Build();
try
{
    app.Services.GetRequiredService<IStartupValidator>().Validate();   // settings bound with ValidateOnStart, before any migration
    await app.Services.InitializeKmsAsync(app.Lifetime.ApplicationStopping);
}
catch (Exception refusal) when (StartupRefusal.Reasons(refusal) is { } reasons)   // bad settings, or the root key refused
{
    foreach (string reason in reasons)
    {
        app.Logger.LogCritical("Refusing to start: {Reason}", reason);
        await Console.Error.WriteLineAsync(reason);
    }

    return 1;
}

app.UseKmsWeb();
await app.RunAsync();
return 0;
