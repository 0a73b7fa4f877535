using InfisicalKms.Tests.TestSupport;

namespace InfisicalKms.Tests.Web.Api.Lifecycle;

/// <summary>One in-process server per test class: bootstrapped, with one project the admin owns.</summary>
public sealed class LifecycleServerFixture : IAsyncLifetime
{
    public KmsWebApplicationFactory Factory { get; } = new();

    public HttpClient Admin { get; private set; } = default!;

    public string ProjectId { get; private set; } = "";

    public async Task InitializeAsync()
    {
        AdminContext admin = await Factory.AdminAsync();
        Admin = admin.Client;
        ProjectId = await LifecycleApi.CreateProjectAsync(Admin);
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();
}
