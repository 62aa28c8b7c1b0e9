// ASP.NET Core minimal API for dockopt: /health, / and /todos.
// `dotnet DotnetWebapi.dll --healthcheck` probes a running instance (the aspnet image has no curl).
using System.Collections.Concurrent;

var port = Environment.GetEnvironmentVariable("PORT") ?? "8080";

if (args.Contains("--healthcheck"))
{
    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
    try
    {
        var response = await http.GetAsync($"http://127.0.0.1:{port}/health");
        return response.IsSuccessStatusCode ? 0 : 1;
    }
    catch (Exception)
    {
        return 1;
    }
}

var builder = WebApplication.CreateSlimBuilder(args);
builder.WebHost.UseUrls($"http://0.0.0.0:{port}");
var app = builder.Build();

var started = DateTimeOffset.UtcNow;
var todos = new ConcurrentDictionary<int, Todo>();
var nextId = 0;

app.MapGet("/health", () => Results.Ok(new { status = "ok", uptime_s = (int)(DateTimeOffset.UtcNow - started).TotalSeconds }));
app.MapGet("/", () => Results.Ok(new { service = "dotnet-webapi", dotnet = Environment.Version.ToString() }));
app.MapGet("/todos", () => Results.Ok(todos.Values.OrderBy(t => t.Id)));
app.MapGet("/todos/{id:int}", (int id) => todos.TryGetValue(id, out var todo) ? Results.Ok(todo) : Results.NotFound());
app.MapPost("/todos", (NewTodo input) =>
{
    if (string.IsNullOrWhiteSpace(input.Title))
    {
        return Results.BadRequest(new { error = "title must not be empty" });
    }
    var todo = new Todo(Interlocked.Increment(ref nextId), input.Title.Trim(), false);
    todos[todo.Id] = todo;
    return Results.Created($"/todos/{todo.Id}", todo);
});

await app.RunAsync();
return 0;

public record Todo(int Id, string Title, bool Done);

public record NewTodo(string? Title);
