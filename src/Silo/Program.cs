using Autonomy;
using Autonomy.Hosting;
using Autonomy.Silo;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;

// A silo host: the grains, seams, ledger and storage of AddAutonomySilo, plus health endpoints on --urls.
// The gateway co-hosts the same silo in embedded mode; this host exists for cluster mode, where any number run.
// appsettings.json is read from next to the binary, whatever the working directory (dotnet run, dotnet X.dll, containers).
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.UseOrleans(silo => silo.AddAutonomySilo(builder.Configuration));
builder.Services.AddSingleton<SiloReadinessCheck>();
builder.Services.AddHealthChecks().AddCheck<SiloReadinessCheck>("silo", tags: ["ready"]);
builder.Services.AddAutonomyTelemetry(builder.Configuration, "autonomy-silo");

var app = builder.Build();
app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
app.MapAutonomyMetrics(app.Configuration);
app.Run();
