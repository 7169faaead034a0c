namespace TokenOps.Gateway.Dashboard;

/// <summary>
/// Data for a dashboard page that another part of TokenOps owns (token poker "poker", cost per outcome "outcomes",
/// budget alerts "alerts"). Register implementations in DI; /api/dashboard/feed/{name} answers not configured
/// (as 200 {"configured": false}) when none is registered or it returns null, and the page says so. The feed must apply the viewer's visibility
/// itself (anonymise, hide other people's rows) since it knows its own data.
/// </summary>
public interface IDashboardFeed
{
    string Name { get; }

    Task<object?> GetAsync(DashboardViewer viewer, IQueryCollection query, CancellationToken cancellationToken);
}
