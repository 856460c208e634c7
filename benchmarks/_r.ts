import "../src/index"; console.log(process.resourceUsage().maxRSS/1024)
